//! One module per subcommand.

pub mod check;
pub mod diff;
pub mod evaluate;
pub mod explain;
pub mod fit;
pub mod fmt;
pub mod history;
pub mod init;
pub mod run;
pub mod test;
pub mod watch;
