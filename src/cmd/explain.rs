//! `sockscope explain`: what a state, sysctl or rule means (the texts are
//! in `diagnose::explain`, checked against tcp-facts.md).

use std::io::Write;

use crate::cli::ExplainArgs;
use crate::diagnose::explain::{find, overview, suggest};

use super::Status;

pub fn run(args: &ExplainArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let Some(q) = args.topic.as_deref() else {
        write!(out, "{}", overview())?;
        writeln!(out, "\nsockscope explain TOPIC prints one of them.")?;
        return Ok(Status::Ok);
    };
    match find(q) {
        Some(t) => {
            write!(out, "{}", t.render())?;
            Ok(Status::Ok)
        }
        None => {
            let s = suggest(q);
            let hint = if s.is_empty() {
                "`sockscope explain` lists the topics".to_string()
            } else {
                format!("did you mean {}?", s.join(", "))
            };
            anyhow::bail!("no topic {:?}: {hint}", crate::term::visible(q))
        }
    }
}
