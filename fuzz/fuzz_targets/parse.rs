//! Arbitrary bytes → the parser must not panic, hang or overflow its stack; when it fails,
//! the diagnostic must render.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use scoreline_syntax::{parse, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Arc::new(SourceFile::new("fuzz.score", text));
    match parse(&file) {
        Ok(ast) => assert_eq!(ast.span.end as usize, text.len()),
        Err(diagnostics) => {
            assert_eq!(diagnostics.len(), 1);
            let d = &diagnostics[0];
            assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
            let _ = d.render();
        }
    }
});
