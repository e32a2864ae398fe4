//! Positions: byte offsets in a document's text and the editor's (line, UTF-16 column) pairs.

use lsp_types::{Position, Range};

/// Where each line of a text starts, to turn byte offsets into editor positions and back.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The lines of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The editor position of byte `offset` (clamped to the text and to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let column: usize = text[self.starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        Position::new(line as u32, column as u32)
    }

    /// The editor range of bytes `start..end`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }

    /// The byte offset of an editor position, or `None` when it lies past the end of its
    /// line or of the text. A column inside a character that takes two UTF-16 units is moved
    /// to the character's start.
    pub fn offset(&self, text: &str, position: Position) -> Option<usize> {
        let line = position.line as usize;
        let start = *self.starts.get(line)?;
        let end = self
            .starts
            .get(line + 1)
            .map(|&next| next - 1)
            .unwrap_or(text.len());
        let line_text = text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..end]);
        let mut units = 0usize;
        let wanted = position.character as usize;
        for (i, c) in line_text.char_indices() {
            if units >= wanted {
                return Some(start + i);
            }
            units += c.len_utf16();
            if units > wanted {
                return Some(start + i);
            }
        }
        (units >= wanted).then_some(start + line_text.len())
    }

    /// Like [`LineIndex::offset`], but a position past the end of a line is its end and one
    /// past the text is the text's end (how edits from a client that miscounted are applied).
    pub fn offset_clamped(&self, text: &str, position: Position) -> usize {
        if let Some(offset) = self.offset(text, position) {
            return offset;
        }
        match self.starts.get(position.line as usize + 1) {
            Some(&next) => {
                let end = next - 1;
                if end > 0 && text.as_bytes().get(end - 1) == Some(&b'\r') {
                    end - 1
                } else {
                    end
                }
            }
            None => text.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is one unit, `😀` two; bytes are 2 and 4.
        let text = "ab\nré😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), Position::new(1, 4));
        assert_eq!(index.offset(text, Position::new(1, 4)), Some(x));
        assert_eq!(index.offset(text, Position::new(1, 5)), Some(x + 1));
        assert_eq!(index.offset(text, Position::new(1, 6)), None);
        assert_eq!(index.offset(text, Position::new(9, 0)), None);
        assert_eq!(index.offset_clamped(text, Position::new(1, 60)), x + 1);
        assert_eq!(index.offset_clamped(text, Position::new(60, 0)), text.len());
        // Inside the emoji's two units: its start.
        assert_eq!(
            index.offset(text, Position::new(1, 3)),
            Some(text.find('😀').unwrap())
        );
    }

    #[test]
    fn crlf_line_ends_are_not_columns() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(0, 2)), Some(2));
        assert_eq!(index.offset(text, Position::new(0, 3)), None);
        assert_eq!(index.offset(text, Position::new(1, 1)), Some(5));
    }
}
