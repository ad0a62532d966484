//! `vouch genesis`: inspect, check (with and without --hash, on broken documents), and
//! create from a TOML spec.

use crate::support::{Dir, SEED, demo, vouch};
use serde_json::Value;
use vouch_core::genesis::Role;
use vouch_core::testkit::DemoNetwork;

#[test]
fn inspect_shows_network_orgs_validators_and_policy() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let g = &demo().0.net.genesis;
    let text = vouch(&["genesis", "inspect", &genesis]).expect(0).stdout;
    for needle in [
        "vouch.example/demo",
        "bank-a",
        "audit_firm",
        "regulator",
        "validator, power 1",
        "quorum needs power >= 3",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(text.contains(&g.hash().to_hex()), "{text}");
    let json = vouch(&["genesis", "inspect", &genesis, "--json"]).expect(0).json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["hash"], g.hash().to_hex());
    assert_eq!(json["canonical"], true);
    assert_eq!(json["network"], "vouch.example/demo");
    assert_eq!(json["orgs"].as_array().unwrap().len(), 4);
    assert_eq!(json["validators"].as_array().unwrap().len(), 4);
    assert_eq!(json["total_power"], 4);
    assert_eq!(json["quorum_power"], 3);
    assert_eq!(json["policy"]["regulator_reads_contents"], true);
    assert_eq!(json["genesis_time"], "2026-11-23T01:00:00Z");
}

#[test]
fn check_prints_the_hash_and_compares_it() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let hash = demo().0.net.genesis.hash().to_hex();
    let run = vouch(&["genesis", "check", &genesis]).expect(0);
    assert!(run.stdout.contains(&hash), "{}", run.stdout);
    vouch(&["genesis", "check", &genesis, "--hash", &hash]).expect(0);
    vouch(&["genesis", "check", &genesis, "--hash", &hash.to_uppercase()]).expect(0);
    let other = "0".repeat(64);
    let run = vouch(&["genesis", "check", &genesis, "--hash", &other]).expect(1);
    assert!(run.stderr.contains(&format!("genesis hash is {hash}, expected {other}")), "{}", run.stderr);
    // A pretty-printed file is the same genesis: same hash, noted as not canonical.
    let pretty = serde_json::to_string_pretty(&demo().0.net.genesis).unwrap();
    let pretty = dir.write("pretty.json", pretty);
    let json = vouch(&["genesis", "check", &pretty, "--hash", &hash, "--json"]).expect(0).json();
    assert_eq!(json["canonical"], false);
    assert_eq!(json["hash"], hash);
}

/// The demo genesis as JSON, changed by `edit`, checked: exit 1 naming `rule`.
fn broken(edit: impl FnOnce(&mut Value), rule: &str) {
    let dir = Dir::new();
    let mut value = serde_json::to_value(&demo().0.net.genesis).unwrap();
    edit(&mut value);
    let path = dir.write("broken.json", serde_json::to_vec(&value).unwrap());
    for command in ["check", "inspect"] {
        let run = vouch(&["genesis", command, &path]).expect(1);
        assert!(run.stderr.contains(rule), "{command}: expected {rule} in:\n{}", run.stderr);
    }
    let json = vouch(&["genesis", "check", &path, "--json"]).expect(1).json();
    assert_eq!(json["rule"], rule);
    assert_eq!(json["kind"], "refused");
}

#[test]
fn broken_genesis_names_the_rule() {
    broken(|g| g["protocol"] = 2.into(), "R-GEN-1");
    broken(|g| g["orgs"][1]["id"] = g["orgs"][0]["id"].clone(), "R-GEN-2");
    broken(|g| g["orgs"][1]["admin_key"] = g["orgs"][0]["admin_key"].clone(), "R-GEN-3");
    broken(|g| g["orgs"][0]["validator"]["power"] = 0.into(), "R-GEN-4");
    broken(|g| g["orgs"][0]["name"] = "".into(), "R-GEN-6");
    broken(|g| g["policy"]["response_days_default"] = 0.into(), "R-GEN-7");
    broken(|g| g["utc_offset_minutes"] = 900.into(), "R-GEN-8");
    broken(
        |g| {
            let orgs = g["orgs"].as_array_mut().unwrap();
            orgs.retain(|o| o["role"] != "regulator");
        },
        "R-GEN-10",
    );
    broken(|g| g["surprise"] = true.into(), "R-GEN-11");
}

/// A TOML spec describing the demo network of `SEED`.
fn demo_spec() -> String {
    let g = DemoNetwork::new(SEED).unwrap().genesis;
    let mut spec = format!(
        "network = \"{}\"\ntime = 2026-11-23T09:00:00+08:00\nutc_offset_minutes = {}\n\n[policy]\n\
         regulator_reads_contents = {}\nclient_authorization_required = {}\n\
         authorization_window_days = {}\nresponse_days_default = {}\n",
        g.network,
        g.utc_offset_minutes,
        g.policy.regulator_reads_contents,
        g.policy.client_authorization_required,
        g.policy.authorization_window_days,
        g.policy.response_days_default
    );
    for o in &g.orgs {
        let role = match o.role {
            Role::Bank => "bank",
            Role::AuditFirm => "audit_firm",
            Role::Regulator => "regulator",
        };
        spec.push_str(&format!(
            "\n[[orgs]]\nid = \"{}\"\nname = \"{}\"\nrole = \"{role}\"\nadmin_key = \"{}\"\nencryption_key = \"{}\"\n",
            o.id,
            o.name,
            o.admin_key.to_b64(),
            o.encryption_key.to_b64()
        ));
        if let Some(v) = &o.validator {
            spec.push_str(&format!("validator = {{ key = \"{}\", power = {} }}\n", v.key.to_b64(), v.power));
        }
    }
    for year in &g.calendar {
        let dates =
            |ds: &[vouch_core::date::Date]| ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
        spec.push_str(&format!(
            "\n[[calendar]]\nyear = {}\nholidays = [{}]\nworkdays = [{}]\n",
            year.year,
            dates(&year.holidays),
            dates(&year.workdays)
        ));
    }
    spec
}

#[test]
fn create_from_spec_reproduces_the_demo_genesis() {
    let dir = Dir::new();
    let spec = dir.write("net.toml", demo_spec());
    let out = dir.path("genesis.json");
    let json = vouch(&["genesis", "create", "--spec", &spec, "--out", out.to_str().unwrap(), "--json"])
        .expect(0)
        .json();
    let expected = DemoNetwork::new(SEED).unwrap().genesis;
    assert_eq!(json["hash"], expected.hash().to_hex());
    assert_eq!(std::fs::read(&out).unwrap(), expected.to_canonical(), "canonical bytes, exactly");
    // No overwrite without --force.
    vouch(&["genesis", "create", "--spec", &spec, "--out", out.to_str().unwrap()]).expect(2);
    vouch(&["genesis", "create", "--spec", &spec, "--out", out.to_str().unwrap(), "--force"]).expect(0);
    // What it wrote checks out.
    vouch(&["genesis", "check", out.to_str().unwrap(), "--hash", &expected.hash().to_hex()]).expect(0);
}

#[test]
fn create_refuses_a_spec_that_breaks_a_rule_or_cannot_be_read() {
    let dir = Dir::new();
    let out = dir.path("genesis.json");
    let out = out.to_str().unwrap();
    // A rule broken: exit 1, the rule named, nothing written.
    let zero_power = demo_spec().replacen("power = 1", "power = 0", 1);
    let spec = dir.write("zero.toml", zero_power);
    let run = vouch(&["genesis", "create", "--spec", &spec, "--out", out]).expect(1);
    assert!(run.stderr.contains("R-GEN-4"), "{}", run.stderr);
    assert!(!dir.path("genesis.json").exists(), "nothing written");
    // A field that cannot be read: exit 2, the field named.
    let bad_key = demo_spec().replacen("admin_key = \"", "admin_key = \"x", 1);
    let spec = dir.write("badkey.toml", bad_key);
    let run = vouch(&["genesis", "create", "--spec", &spec, "--out", out]).expect(2);
    assert!(run.stderr.contains("orgs[0] (bank-a).admin_key"), "{}", run.stderr);
    // Not TOML.
    let spec = dir.write("bad.toml", "network = = 3");
    let run = vouch(&["genesis", "create", "--spec", &spec, "--out", out]).expect(2);
    assert!(run.stderr.contains("not a genesis spec"), "{}", run.stderr);
    // Unknown field.
    let spec = dir.write("unknown.toml", format!("colour = \"blue\"\n{}", demo_spec()));
    let run = vouch(&["genesis", "create", "--spec", &spec, "--out", out]).expect(2);
    assert!(run.stderr.contains("colour"), "{}", run.stderr);
    // A time without an offset.
    let spec =
        dir.write("time.toml", demo_spec().replace("2026-11-23T09:00:00+08:00", "2026-11-23T09:00:00"));
    let run = vouch(&["genesis", "create", "--spec", &spec, "--out", out]).expect(2);
    assert!(run.stderr.contains("time:"), "{}", run.stderr);
}
