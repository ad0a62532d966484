//! Drop a share of one node's consensus packets in the kernel, for campaigns run as root
//! with `--packet-loss`: `iptables` rules with the `statistic` match on the loopback
//! interface, on the node's own p2p port, both ways.
//!
//! The link proxies can delay, reset or cut a TCP stream, but never lose a packet inside
//! it; real loss makes TCP retransmit after its timeouts and stalls everything behind the
//! lost segment. `tc netem` (delay, loss, reordering) would be the usual tool; kernels
//! without `sch_netem` (this project's machines) still have `xt_statistic`. Reordering
//! has no equivalent here.
//!
//! Every rule carries the comment [`COMMENT`], so a campaign clears what an earlier,
//! interrupted one left behind, and `iptables -S INPUT | grep vouch-chaos` shows them.

use std::process::Command;

/// The comment on every rule this module adds.
pub const COMMENT: &str = "vouch-chaos";

/// Why the kernel's packet filter cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "packet loss needs iptables and root: {0}; next: run as root after `apt-get install -y iptables`, or leave out --packet-loss"
)]
pub struct LossError(String);

fn iptables(args: &[String]) -> Result<String, LossError> {
    let out = Command::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .map_err(|e| LossError(format!("cannot run iptables: {e}")))?;
    if !out.status.success() {
        return Err(LossError(format!(
            "`iptables {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether rules can be listed (and so, as root, added).
pub fn available() -> Result<(), LossError> {
    iptables(&["-S".into(), "INPUT".into()]).map(|_| ())
}

/// The two rules dropping `percent` % of the TCP packets to and from `port` on loopback.
pub fn rules(port: u16, percent: u32) -> [Vec<String>; 2] {
    let probability = format!("{:.4}", f64::from(percent.min(100)) / 100.0);
    ["--dport", "--sport"].map(|way| {
        [
            "INPUT",
            "-i",
            "lo",
            "-p",
            "tcp",
            way,
            &port.to_string(),
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            &probability,
            "-m",
            "comment",
            "--comment",
            COMMENT,
            "-j",
            "DROP",
        ]
        .map(str::to_string)
        .to_vec()
    })
}

/// From an `iptables -S INPUT` listing, the deletions of this module's rules: all of them,
/// or only those on `port`.
pub fn deletions(listing: &str, port: Option<u16>) -> Vec<Vec<String>> {
    listing
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let ours = words.windows(2).any(|w| w == ["--comment", COMMENT]);
            let on_port = port.is_none_or(|p| {
                let p = p.to_string();
                words.windows(2).any(|w| (w[0] == "--dport" || w[0] == "--sport") && w[1] == p)
            });
            let rest = words.strip_prefix(&["-A"])?;
            (ours && on_port)
                .then(|| std::iter::once("-D").chain(rest.iter().copied()).map(str::to_string).collect())
        })
        .collect()
}

/// Drop `percent` % of `port`'s packets from now on (0: none, removing the rules).
pub fn set(port: u16, percent: u32) -> Result<(), LossError> {
    for rule in deletions(&iptables(&["-S".into(), "INPUT".into()])?, Some(port)) {
        iptables(&rule)?;
    }
    if percent > 0 {
        for rule in rules(port, percent) {
            let mut args = vec!["-I".to_string()];
            args.extend(rule);
            iptables(&args)?;
        }
    }
    Ok(())
}

/// Remove every rule of this module; how many there were.
pub fn clear_all() -> Result<usize, LossError> {
    let found = deletions(&iptables(&["-S".into(), "INPUT".into()])?, None);
    for rule in &found {
        iptables(rule)?;
    }
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_drop_both_ways_on_the_port_with_the_comment() {
        let [inbound, outbound] = rules(27001, 5);
        assert_eq!(
            inbound.join(" "),
            "INPUT -i lo -p tcp --dport 27001 -m statistic --mode random --probability 0.0500 -m comment --comment vouch-chaos -j DROP"
        );
        assert!(outbound.join(" ").contains("--sport 27001"));
        assert!(rules(1, 250)[0].join(" ").contains("--probability 1.0000"), "capped at 100 %");
    }

    #[test]
    fn only_this_modules_rules_are_deleted_and_by_port_when_asked() {
        let listing = "-P INPUT ACCEPT
-A INPUT -i lo -p tcp -m tcp --dport 27001 -m statistic --mode random --probability 0.05000000000 -m comment --comment vouch-chaos -j DROP
-A INPUT -i lo -p tcp -m tcp --sport 27001 -m statistic --mode random --probability 0.05000000000 -m comment --comment vouch-chaos -j DROP
-A INPUT -i lo -p tcp -m tcp --dport 27002 -m statistic --mode random --probability 0.10000000000 -m comment --comment vouch-chaos -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 27001 -m comment --comment someone-else -j DROP
";
        let all = deletions(listing, None);
        assert_eq!(all.len(), 3);
        assert!(
            all.iter()
                .all(|d| d[0] == "-D" && d[1] == "INPUT" && d.last().map(String::as_str) == Some("DROP"))
        );
        let one = deletions(listing, Some(27001));
        assert_eq!(one.len(), 2);
        assert!(one.iter().all(|d| d.join(" ").contains("27001")));
        assert_eq!(deletions(listing, Some(22)), Vec::<Vec<String>>::new(), "not ours");
    }
}
