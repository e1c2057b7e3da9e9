//! Every reference case in `design/agreement/cases/` against the `formula` values in `out/`, to 1e-9.
//!
//! Mapping: for form A, reference `stat.formula` is `stat` in our report and `stat.formula_x` is
//! `stat.x`; other implementations' entries (krippendorff, irrCAC, …) are not compared. For form B
//! every entry is compared except the `packages` block and the `*_pkg_*` entries. Within a compared
//! object every key of the reference is checked: numbers to 1e-9, `null` must be `null`, strings and
//! integers exactly; notes (`note`, `*_note`) only need to be present when the value is `null`.

use std::fs;
use std::path::{Path, PathBuf};

use codeloom::agreement::cases::{ReportOptions, report_from_json};
use serde_json::Value;

mod common;
use common::{DIR, shared_present};
const TOL: f64 = 1e-9;

fn is_note(key: &str) -> bool {
    key == "note" || key.ends_with("_note") || key == "error"
}

/// Compares `expected` against `actual`, appending mismatches and counting compared leaves.
fn compare(path: &str, expected: &Value, actual: Option<&Value>, errors: &mut Vec<String>, leaves: &mut Vec<String>) {
    let Some(actual) = actual else {
        errors.push(format!("{path}: missing (expected {expected})"));
        return;
    };
    match expected {
        Value::Object(map) => {
            let Value::Object(act) = actual else {
                errors.push(format!("{path}: expected an object, got {actual}"));
                return;
            };
            for (k, v) in map {
                if k == "packages" || k.contains("pkg") {
                    continue;
                }
                let sub = format!("{path}.{k}");
                if is_note(k) {
                    // A note must accompany an undefined value; its wording is ours.
                    if !act.contains_key(k) && !act.keys().any(|a| is_note(a)) {
                        errors.push(format!("{sub}: note missing"));
                    }
                    continue;
                }
                compare(&sub, v, act.get(k), errors, leaves);
            }
        }
        Value::Array(items) => {
            let Value::Array(act) = actual else {
                errors.push(format!("{path}: expected an array, got {actual}"));
                return;
            };
            if items.len() != act.len() {
                errors.push(format!("{path}: length {} vs {}", act.len(), items.len()));
                return;
            }
            for (i, v) in items.iter().enumerate() {
                compare(&format!("{path}[{i}]"), v, act.get(i), errors, leaves);
            }
        }
        Value::Number(n) => {
            leaves.push(path.to_string());
            let e = n.as_f64().unwrap_or(f64::NAN);
            match actual.as_f64() {
                Some(a) if (a - e).abs() <= TOL * e.abs().max(1.0) => {}
                _ => errors.push(format!("{path}: got {actual}, expected {expected}")),
            }
        }
        Value::Null => {
            leaves.push(path.to_string());
            if !actual.is_null() {
                errors.push(format!("{path}: got {actual}, expected null (undefined)"));
            }
        }
        Value::String(_) | Value::Bool(_) => {
            leaves.push(path.to_string());
            if expected != actual {
                errors.push(format!("{path}: got {actual}, expected {expected}"));
            }
        }
    }
}

/// Builds the part of an out file that is compared, with our key names.
fn expected_view(out: &Value) -> Value {
    let Value::Object(map) = out else { return Value::Null };
    if map.get("form").and_then(Value::as_str) != Some("units") {
        let mut m = map.clone();
        m.remove("packages");
        return Value::Object(m);
    }
    let mut view = serde_json::Map::new();
    for (stat, entry) in map {
        match entry {
            Value::Object(impls) => {
                let mut ours = serde_json::Map::new();
                for (name, value) in impls {
                    if name == "formula" {
                        if let Value::Object(inner) = value {
                            ours.extend(inner.clone());
                        }
                    } else if let Some(variant) = name.strip_prefix("formula_") {
                        ours.insert(variant.to_string(), value.clone());
                    }
                }
                if !ours.is_empty() {
                    view.insert(stat.clone(), Value::Object(ours));
                }
            }
            other => {
                view.insert(stat.clone(), other.clone());
            }
        }
    }
    Value::Object(view)
}

fn cases() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(Path::new(DIR).join("cases"))
        .expect("cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_reference_case_matches_the_formula_values() {
    if !shared_present("every_reference_case_matches_the_formula_values") {
        return;
    }
    let files = cases();
    assert_eq!(files.len(), 26, "expected 26 reference cases");
    let mut failures = Vec::new();
    let mut total = 0;
    for file in &files {
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
        let input = fs::read_to_string(file).expect("case");
        let out_path = Path::new(DIR).join("out").join(format!("{stem}.out.json"));
        let expected: Value = serde_json::from_str(&fs::read_to_string(out_path).expect("out")).expect("out json");
        let report = report_from_json(&input, &ReportOptions { bootstrap: None }).expect("report");
        let mut errors = Vec::new();
        let mut leaves = Vec::new();
        compare(&stem, &expected_view(&expected), Some(&report), &mut errors, &mut leaves);
        total += leaves.len();
        let mut stats: Vec<&str> = leaves.iter().filter_map(|l| l.split('.').nth(1)).collect();
        stats.dedup();
        println!("{stem}: {} values compared ({}), {} mismatches", leaves.len(), stats.join(", "), errors.len());
        if std::env::var("SHOW_KEYS").is_ok() {
            for l in &leaves {
                println!("    {l}");
            }
        }
        failures.extend(errors);
    }
    println!("total: {total} values compared over {} cases", files.len());
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn extra_metrics_match_the_krippendorff_package() {
    if !shared_present("extra_metrics_match_the_krippendorff_package") {
        return;
    }
    let extra: Value =
        serde_json::from_str(&fs::read_to_string(Path::new(DIR).join("out/extra_checks.json")).expect("extra"))
            .expect("json");
    for (case, file) in
        [("P1", "P1_kripp2011_4x12"), ("P4", "P4_wikipedia_3x15"), ("P9", "P9_hayes_krippendorff2007_5x40")]
    {
        let input = fs::read_to_string(Path::new(DIR).join(format!("cases/{file}.json"))).expect("case");
        let report = report_from_json(&input, &ReportOptions { bootstrap: None }).expect("report");
        for metric in ["nominal", "ordinal", "interval", "ratio"] {
            let want = extra[case][metric].as_f64().expect("expected value");
            let got = if metric == "nominal" {
                report["krippendorff_alpha_nominal"]["value"].as_f64()
            } else {
                report["krippendorff_alpha_other_metrics"][metric].as_f64()
            };
            let got = got.unwrap_or(f64::NAN);
            assert!((got - want).abs() <= TOL, "{case} {metric}: {got} vs {want}");
        }
    }
}
