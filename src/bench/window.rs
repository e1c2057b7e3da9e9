//! The real window on the scale study: a `codeloom STUDY` process started on the display
//! the bench runs on (an X server: a desktop, or `xvfb-run`), timed from its start until
//! its window is shown (eframe shows a window once its first frame is drawn), and its
//! memory once it has drawn and settled, as the kernel counts it (`VmHWM`, the peak
//! resident set, and `VmRSS`).
//!
//! Without a display or `xdotool` these figures are left out and the report says why;
//! nothing here is measured in process, where the bench's own memory would be counted.

use super::Measurement;
use crate::error::{Error, Result};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the window may take to show before the measurement gives up.
const SHOW_WITHIN: Duration = Duration::from_secs(60);
/// How long the window is left open after it shows, before its memory is read.
const SETTLE: Duration = Duration::from_secs(3);

/// Why the window cannot be measured here, if it cannot.
fn unavailable() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Some("no X display (DISPLAY is not set); run the bench under xvfb-run or on a desktop".into());
    }
    match Command::new("xdotool").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(s) if s.success() => None,
        _ => Some("xdotool is not installed (it tells when the window shows)".into()),
    }
}

/// Whether the process has a visible window.
fn shown(pid: u32) -> bool {
    Command::new("xdotool")
        .args(["search", "--onlyvisible", "--pid", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A `VmHWM:`-style line of `/proc/PID/status` (`pid` a number, or `self`), in bytes.
pub(super) fn status_bytes(pid: impl std::fmt::Display, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Stops the window however the measurement ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a window on `study` and waits until it shows; how long that took. What the
/// window prints goes to `window.log` in `config`, and ends the error when it does not show.
fn start_window(study: &Path, exe: &Path, config: &Path) -> Result<(f64, Running)> {
    let log_path = config.join("window.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| Error::Invalid(format!("cannot write {}: {e}", log_path.display())))?;
    let started = Instant::now();
    let child = Command::new(exe)
        .arg(study)
        .env("XDG_CONFIG_HOME", config)
        .env("CODELOOM_NO_SOUND", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| Error::Invalid(format!("cannot start {}: {e}", exe.display())))?;
    let mut window = Running(child);
    let pid = window.0.id();
    while !shown(pid) {
        let ended = window.0.try_wait().ok().flatten();
        if ended.is_some() || started.elapsed() > SHOW_WITHIN {
            let printed = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = printed.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect();
            let what = match ended {
                Some(status) => format!("ended ({status}) before it showed"),
                None => "did not show within a minute".to_string(),
            };
            return Err(Error::Invalid(format!(
                "the window on {} {what}; it printed (last lines of {}):\n{}",
                study.display(),
                log_path.display(),
                tail.join("\n")
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok((started.elapsed().as_secs_f64(), window))
}

/// The window on `study`: time to show, and memory once settled; then the first opening
/// of the day (when the study's damage check and backup are due), in the window and as
/// the command line opens it. Returns no measurement (and says why through `progress`)
/// where there is no display to measure on.
pub fn measure(study: &Path, exe: &Path, work: &Path, progress: &mut dyn FnMut(&str)) -> Result<Vec<Measurement>> {
    if let Some(why) = unavailable() {
        progress(&format!("scale: the real window is not measured: {why}"));
        return Ok(Vec::new());
    }
    progress("scale: the real window on the study (time to show, memory)");
    // The window's settings (recent projects, layout) go to a folder of the bench's.
    let config = work.join("window-config");
    std::fs::create_dir_all(&config).map_err(|e| Error::Invalid(format!("cannot make {}: {e}", config.display())))?;
    let (to_show, window) = start_window(study, exe, &config)?;
    let pid = window.0.id();
    std::thread::sleep(SETTLE);
    let (peak, now) = (status_bytes(pid, "VmHWM:"), status_bytes(pid, "VmRSS:"));
    drop(window);
    let peak = peak.ok_or_else(|| Error::Invalid(format!("cannot read the memory of the window (pid {pid})")))?;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut out = vec![
        Measurement {
            name: "scale_window_shown".into(),
            what: "a `codeloom STUDY` process, from its start until its window shows with the first frame drawn (the participant × wave grid), on this display".into(),
            seconds: to_show,
            target_seconds: Some(1.0),
            details: serde_json::json!({ "display": std::env::var("DISPLAY").unwrap_or_default() }),
        },
        Measurement {
            name: "scale_window_memory".into(),
            what: format!(
                "the window's peak resident memory (VmHWM), {} s after it showed; seconds is 0, the figures are in details",
                SETTLE.as_secs()
            ),
            seconds: 0.0,
            target_seconds: None,
            details: serde_json::json!({
                "peak_resident_mib": mib(peak),
                "resident_mib_now": now.map(mib),
                "target_mib": 500,
            }),
        },
    ];
    out.extend(first_of_the_day(study, exe, &config, progress)?);
    Ok(out)
}

/// The first opening of the day: the window shows the study while its damage check and
/// backup run behind it; the command line does them before it goes on.
fn first_of_the_day(
    study: &Path,
    exe: &Path,
    config: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<[Measurement; 2]> {
    progress("scale: the first opening of the day (damage check and backup due)");
    let bytes = std::fs::metadata(study).map(|m| m.len()).unwrap_or(0);
    crate::Project::open_leaving_upkeep(study)?.0.make_upkeep_due()?;
    let (to_show, window) = start_window(study, exe, config)?;
    drop(window);
    let started = Instant::now();
    crate::Project::open(study)?;
    let cli = started.elapsed().as_secs_f64();
    // The bench's study needs no backups: each is as large as the study.
    for b in crate::store::backup::list(study)? {
        std::fs::remove_file(&b.path)
            .map_err(|e| Error::Invalid(format!("cannot delete {}: {e}", b.path.display())))?;
    }
    Ok([
        Measurement {
            name: "scale_window_shown_first_of_the_day".into(),
            what: "the window on the study when its daily damage check and backup are due: from its start until it shows the grid (they run behind it)".into(),
            seconds: to_show,
            target_seconds: Some(1.0),
            details: serde_json::json!({ "project_bytes": bytes }),
        },
        Measurement {
            name: "scale_open_for_writing_first_of_the_day".into(),
            what: "opening the study for writing in a command's process when its daily damage check and backup are due (the command line does them before it goes on; once a day)".into(),
            seconds: cli,
            target_seconds: None,
            details: serde_json::json!({ "project_bytes": bytes }),
        },
    ])
}
