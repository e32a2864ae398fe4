//! Arbitrary bytes → the parser must not panic, hang or overflow its stack; when it fails,
//! every diagnostic must render.
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
            // Every syntax error, in file order, each with a span inside the text.
            assert!(!diagnostics.is_empty());
            for d in &diagnostics {
                assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
                let _ = d.render();
            }
            assert!(diagnostics
                .windows(2)
                .all(|w| w[0].span.start <= w[1].span.start));
        }
    }
});
