//! Codeloom: a workbench for qualitative interview research.
//!
//! The library holds everything but the user interfaces: the data model ([`model`]),
//! the project file with its operation log ([`store`]), importers ([`import`]),
//! codebook files ([`codebook`]), full-text search ([`search`]), REFI-QDA project exchange ([`interop`]), interview recordings and their playback ([`media`]), reports and exports ([`export`]), output files written whole or not at all and never over a project ([`output`]), inter-coder agreement statistics ([`agreement`]), suggested codings learned from the team's own coding ([`suggest`]), the researcher's own settings ([`settings`]), the demo study ([`demo`]) and the benchmarks
//! ([`bench`]). The GUI and the CLI in the binary call these functions and contain no
//! logic of their own. The library never imports egui.

pub mod agreement;
pub mod bench;
pub mod codebook;
pub mod demo;
pub mod error;
pub mod export;
pub mod guard;
pub mod import;
pub mod interop;
pub mod media;
pub mod model;
pub mod output;
pub mod search;
pub mod settings;
pub mod store;
pub mod suggest;

pub use error::{Error, Result};
pub use store::Project;
