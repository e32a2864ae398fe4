//! Rounding half away from zero as a person expects from the digits they see.
//!
//! Binary doubles cannot hold most decimals: `2.675` is stored as 2.67499999999999982…, so
//! scaling by 100 and rounding gives 2.67. We round the number's shortest decimal
//! representation instead (the digits Rust prints, which read back as the same double), so
//! 2.675 → 2.68 and 1.005 → 1.01. Away from ties, `(x × 10^d).round() / 10^d` gives the same
//! answer and is used as a fast path.

/// `x` rounded to `digits` decimals (0 to 15), half away from zero; never returns `-0`.
pub(crate) fn round_half_away(x: f64, digits: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let digits = digits.min(15);
    let scale = 10f64.powi(digits as i32);
    let scaled = x * scale;
    let frac = (scaled - scaled.trunc()).abs();
    // Far from a tie, the binary error cannot change the side: plain rounding is exact.
    let result = if (frac - 0.5).abs() > 1e-9 * scaled.abs().max(1.0) {
        scaled.round() / scale
    } else {
        round_decimal(x, digits)
    };
    if result == 0.0 {
        0.0
    } else {
        result
    }
}

/// Rounds the shortest decimal representation of `x` (which never uses an exponent).
fn round_decimal(x: f64, digits: u32) -> f64 {
    let text = format!("{}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = digits as usize;
    if frac.len() <= digits {
        return x;
    }
    let round_up = frac.as_bytes()[digits] >= b'5';
    let kept = format!("{int}{}", &frac[..digits]);
    // Add one unit in the last kept place, carrying through the digit string.
    let mut bytes = kept.into_bytes();
    if round_up {
        let mut i = bytes.len();
        loop {
            if i == 0 {
                bytes.insert(0, b'1');
                break;
            }
            i -= 1;
            if bytes[i] == b'9' {
                bytes[i] = b'0';
            } else {
                bytes[i] += 1;
                break;
            }
        }
    }
    let mut out = String::from_utf8(bytes).expect("ascii digits");
    out.insert(out.len() - digits, '.');
    let magnitude: f64 = out.parse().unwrap_or(x.abs());
    magnitude.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::round_half_away;

    #[test]
    fn rounds_as_people_read_decimals() {
        assert_eq!(round_half_away(2.675, 2), 2.68);
        assert_eq!(round_half_away(1.005, 2), 1.01);
        assert_eq!(round_half_away(-2.675, 2), -2.68);
        assert_eq!(round_half_away(-2.5, 0), -3.0);
        assert_eq!(round_half_away(2.5, 0), 3.0);
        assert_eq!(round_half_away(0.125, 2), 0.13);
        assert_eq!(round_half_away(0.124999, 2), 0.12);
        assert_eq!(round_half_away(9.995, 2), 10.0);
        assert_eq!(round_half_away(-0.001, 2), 0.0);
        assert!(round_half_away(-0.001, 2).is_sign_positive());
        assert_eq!(round_half_away(12.0, 2), 12.0);
        assert_eq!(round_half_away(1234.5678, 2), 1234.57);
        assert_eq!(round_half_away(0.1 + 0.2, 2), 0.3);
        assert_eq!(round_half_away(99.995, 2), 100.0);
    }
}
