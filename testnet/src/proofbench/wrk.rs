//! Drive a node's proof and checkpoint endpoints with `wrk` (a separate process, on
//! loopback) and read its report: requests/s, latency percentiles, errors.
//!
//! Each endpoint has a small Lua script that picks a random query per request: a leaf
//! hash from a sample spread over the whole log, a stored checkpoint size, or a pair of
//! sizes. The scripts and their inputs are written beside the ledger.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Why a run of wrk gave no figures.
#[derive(Debug, thiserror::Error)]
pub enum WrkError {
    /// wrk could not be started.
    #[error("cannot run wrk: {0}; next: install it (`apt-get install wrk` on Debian) or put it on PATH")]
    Start(std::io::Error),
    /// wrk failed or printed no figures.
    #[error("wrk {args} failed ({status}): {output}")]
    Failed {
        /// Its arguments.
        args: String,
        /// Exit status.
        status: String,
        /// What it printed (clipped).
        output: String,
    },
    /// A script could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One endpoint under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /v1/proofs/inclusion?leaf_hash=` a random sampled leaf.
    Inclusion,
    /// `GET /v1/checkpoint`.
    Latest,
    /// `GET /v1/checkpoints/{size}` for a random stored size.
    CheckpointAt,
    /// `GET /v1/proofs/consistency?from=&to=` for random stored sizes, from below to.
    Consistency,
}

impl Endpoint {
    /// Every endpoint, in report order.
    pub const ALL: [Endpoint; 4] =
        [Endpoint::Inclusion, Endpoint::Latest, Endpoint::CheckpointAt, Endpoint::Consistency];

    /// What the report calls it.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Inclusion => "/v1/proofs/inclusion",
            Endpoint::Latest => "/v1/checkpoint",
            Endpoint::CheckpointAt => "/v1/checkpoints/{size}",
            Endpoint::Consistency => "/v1/proofs/consistency",
        }
    }

    fn script(self) -> (&'static str, &'static str) {
        match self {
            Endpoint::Inclusion => ("inclusion.lua", INCLUSION_LUA),
            Endpoint::Latest => ("checkpoint.lua", LATEST_LUA),
            Endpoint::CheckpointAt => ("checkpoint_at.lua", CHECKPOINT_AT_LUA),
            Endpoint::Consistency => ("consistency.lua", CONSISTENCY_LUA),
        }
    }
}

/// Numbers each thread's random generator differently; reads lines of a file.
const COMMON_LUA: &str = r#"
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local function lines_of(path)
  local t = {}
  for line in io.lines(path) do
    if #line > 0 then t[#t + 1] = line end
  end
  if #t == 0 then error("no lines in " .. path) end
  return t
end
"#;

const INCLUSION_LUA: &str = r#"
local hashes
function init(args)
  hashes = lines_of(args[1])
  math.randomseed(os.time() * 100 + id)
end
function request()
  return wrk.format("GET", "/v1/proofs/inclusion?leaf_hash=" .. hashes[math.random(#hashes)])
end
"#;

const LATEST_LUA: &str = r#"
function request()
  return wrk.format("GET", "/v1/checkpoint")
end
"#;

const CHECKPOINT_AT_LUA: &str = r#"
local sizes
function init(args)
  sizes = lines_of(args[2])
  math.randomseed(os.time() * 100 + id)
end
function request()
  return wrk.format("GET", "/v1/checkpoints/" .. sizes[math.random(#sizes)])
end
"#;

const CONSISTENCY_LUA: &str = r#"
local sizes
function init(args)
  sizes = lines_of(args[2])
  math.randomseed(os.time() * 100 + id)
end
function request()
  local a = math.random(#sizes)
  local b = math.random(#sizes)
  if a > b then a, b = b, a end
  return wrk.format("GET", "/v1/proofs/consistency?from=" .. sizes[a] .. "&to=" .. sizes[b])
end
"#;

/// Where the scripts and their inputs live.
#[derive(Debug, Clone)]
pub struct Scripts {
    dir: PathBuf,
    leaves: PathBuf,
    sizes: PathBuf,
}

impl Scripts {
    /// Write every script into `dir`; `leaves` and `sizes` are the files they read.
    pub fn write(dir: &Path, leaves: &Path, sizes: &Path) -> Result<Scripts, WrkError> {
        std::fs::create_dir_all(dir).map_err(|source| WrkError::Write { path: dir.into(), source })?;
        for endpoint in Endpoint::ALL {
            let (name, body) = endpoint.script();
            let path = dir.join(name);
            std::fs::write(&path, format!("{COMMON_LUA}{body}"))
                .map_err(|source| WrkError::Write { path, source })?;
        }
        Ok(Scripts { dir: dir.into(), leaves: leaves.into(), sizes: sizes.into() })
    }

    /// The script of `endpoint`.
    pub fn path(&self, endpoint: Endpoint) -> PathBuf {
        self.dir.join(endpoint.script().0)
    }
}

/// How hard to load.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// wrk threads.
    pub threads: usize,
    /// Open connections.
    pub connections: usize,
    /// Length.
    pub duration: Duration,
}

/// What wrk measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkReport {
    /// Requests completed.
    pub requests: u64,
    /// Requests per second.
    pub rps: f64,
    /// Latency percentiles.
    pub p50: Duration,
    /// 90th.
    pub p90: Duration,
    /// 99th.
    pub p99: Duration,
    /// Answers other than 2xx/3xx.
    pub non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// The command line, for the record.
    pub command: String,
}

/// Run wrk against `base` (`http://127.0.0.1:<port>`).
pub fn run(scripts: &Scripts, endpoint: Endpoint, base: &str, load: Load) -> Result<WrkReport, WrkError> {
    let script = scripts.path(endpoint);
    let args: Vec<String> = vec![
        format!("-t{}", load.threads.max(1)),
        format!("-c{}", load.connections.max(load.threads.max(1))),
        format!("-d{}s", load.duration.as_secs().max(1)),
        "--latency".into(),
        "-s".into(),
        script.display().to_string(),
        base.to_string(),
        "--".into(),
        scripts.leaves.display().to_string(),
        scripts.sizes.display().to_string(),
    ];
    let output = Command::new("wrk").args(&args).output().map_err(WrkError::Start)?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let joined = args.join(" ");
    let failed = |text: &str| WrkError::Failed {
        args: joined.clone(),
        status: output.status.to_string(),
        output: format!("{text}{}", String::from_utf8_lossy(&output.stderr)).chars().take(2000).collect(),
    };
    if !output.status.success() {
        return Err(failed(&text));
    }
    let mut report = parse(&text).ok_or_else(|| failed(&text))?;
    report.command = format!("wrk {joined}");
    Ok(report)
}

/// Read wrk's `--latency` report; `None` when it holds no requests/s line.
pub fn parse(text: &str) -> Option<WrkReport> {
    let mut report = WrkReport::default();
    let mut rps = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => rps = value.parse().ok(),
            ["50%", value] => report.p50 = duration(value)?,
            ["90%", value] => report.p90 = duration(value)?,
            ["99%", value] => report.p99 = duration(value)?,
            ["Non-2xx", "or", "3xx", "responses:", n] => report.non_2xx = n.parse().ok()?,
            [n, "requests", "in", ..] => report.requests = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                report.socket_errors =
                    rest.iter().filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok()).sum();
            }
            _ => {}
        }
    }
    report.rps = rps?;
    Some(report)
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`, `1.00m`.
fn duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    // Rounded to the nanosecond: wrk prints at most two decimals.
    Some(Duration::from_nanos((seconds * 1e9).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 10s test @ http://127.0.0.1:8080
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.43ms  612.21us  14.02ms   80.12%
    Req/Sec    11.30k     1.02k   13.44k    71.50%
  Latency Distribution
     50%    1.31ms
     75%    1.70ms
     90%    2.13ms
     99%    3.64ms
  224912 requests in 10.00s, 210.33MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  22487.62
Transfer/sec:     21.03MB
";

    #[test]
    fn parses_a_latency_report() {
        let r = parse(SAMPLE).expect("parses");
        assert_eq!(r.requests, 224_912);
        assert!((r.rps - 22_487.62).abs() < 1e-6);
        assert_eq!(r.p50, Duration::from_micros(1310));
        assert_eq!(r.p90, Duration::from_micros(2130));
        assert_eq!(r.p99, Duration::from_micros(3640));
        assert_eq!(r.non_2xx, 7);
        assert_eq!(r.socket_errors, 3);
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(duration("812.00us"), Some(Duration::from_micros(812)));
        assert_eq!(duration("2.00s"), Some(Duration::from_secs(2)));
        assert_eq!(duration("1.00m"), Some(Duration::from_secs(60)));
        assert_eq!(duration("3.5x"), None);
        assert_eq!(duration("ms"), None);
    }

    #[test]
    fn no_requests_line_is_no_report() {
        assert_eq!(parse("unable to connect to 127.0.0.1:1 Connection refused\n"), None);
    }
}
