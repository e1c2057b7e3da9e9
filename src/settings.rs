//! The researcher's own settings, kept outside any project: a small JSON file at
//! `$XDG_CONFIG_HOME/codeloom/settings.json` (or `~/.config/codeloom/settings.json` when
//! `XDG_CONFIG_HOME` is not set). Today it names the folder of the sentence-embedding model
//! that suggestions may use.
//!
//! A missing file means the defaults. A file that cannot be read or is not the JSON
//! Codeloom writes is an error that names the file and the reason, never a crash and
//! never silently replaced. The file is written whole or not at all (through
//! [`crate::output`]: a temporary file beside it, renamed over it).

use crate::error::{Error, Result};
use crate::output::{self, Protect};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The settings file's name inside Codeloom's configuration folder.
pub const FILE_NAME: &str = "settings.json";

/// The researcher's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// Fields this version does not know are ignored: a newer Codeloom may add some.
#[serde(default)]
pub struct Settings {
    /// The folder holding a sentence-embedding model (`model.safetensors` and
    /// `tokenizer.json`) that suggestions and "passages like this" use for meaning; none
    /// means words only.
    pub embedding_model: Option<PathBuf>,
}

/// Where the settings file is: `$XDG_CONFIG_HOME/codeloom/settings.json`, else
/// `$HOME/.config/codeloom/settings.json`; `None` when neither variable is set.
pub fn default_path() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let config = non_empty("XDG_CONFIG_HOME").or_else(|| non_empty("HOME").map(|h| h.join(".config")))?;
    Some(config.join("codeloom").join(FILE_NAME))
}

impl Settings {
    /// The settings in the file at `path`: the defaults when there is no file; an error
    /// naming the file when it cannot be read or is not valid settings.
    pub fn load_from(path: &Path) -> Result<Settings> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(settings_error(path, format!("cannot read the settings file: {e}"))),
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            settings_error(path, format!("the settings file is not valid ({e}); correct it or move it away"))
        })
    }

    /// The settings in the file at [`default_path`] (the defaults when there is none).
    pub fn load() -> Result<Settings> {
        match default_path() {
            Some(path) => Settings::load_from(&path),
            None => Ok(Settings::default()),
        }
    }

    /// Writes the settings to `path` whole or not at all, creating its folder.
    pub fn save_to(&self, path: &Path) -> Result<()> {
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|e| settings_error(path, format!("cannot create the folder {}: {e}", folder.display())))?;
        }
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| settings_error(path, format!("cannot write the settings: {e}")))?;
        text.push('\n');
        output::write_bytes(path, text.as_bytes(), &Protect::none())
    }

    /// Writes the settings to [`default_path`].
    pub fn save(&self) -> Result<PathBuf> {
        let path = default_path().ok_or_else(|| {
            Error::Invalid("cannot save the settings: neither XDG_CONFIG_HOME nor HOME is set".into())
        })?;
        self.save_to(&path)?;
        Ok(path)
    }
}

fn settings_error(path: &Path, message: String) -> Error {
    Error::Project { path: path.to_path_buf(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deeper/codeloom/settings.json");
        assert_eq!(Settings::load_from(&path).unwrap(), Settings::default());
        let s = Settings { embedding_model: Some(PathBuf::from("/models/potion-base-8M")) };
        s.save_to(&path).unwrap();
        assert_eq!(Settings::load_from(&path).unwrap(), s);
        let none = Settings::default();
        none.save_to(&path).unwrap();
        assert_eq!(Settings::load_from(&path).unwrap(), none);
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left beside the settings");
    }

    #[test]
    fn a_malformed_settings_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        for bad in [&b"{ not json"[..], b"{\"embedding_model\": 3}", b"\xff\xfe"] {
            std::fs::write(&path, bad).unwrap();
            let e = Settings::load_from(&path).unwrap_err().to_string();
            assert!(e.contains("settings.json") && e.contains("not valid"), "{e}");
        }
    }
}
