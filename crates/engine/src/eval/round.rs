//! Rounding half away from zero, of the decimal value a computation denotes (LANGUAGE.md §6).
//!
//! Binary doubles cannot hold most decimals: `2.675` is stored as 2.67499999999999982…, and
//! `(28.63 + 23) / 2`, which is 25.815, comes out as 25.814999999999998. Scaling by 100 and
//! rounding would give 2.67 and 25.81. The rule is instead: a value within 1e-9 of a
//! half-cent is that half-cent, and rounds away from zero (2.68, 25.82); any other value
//! rounds to its nearest cent, on which binary error has no say.
//!
//! `round(x, d)` follows the same rule for its own unit, `10^-d`: within 1e-9 of a half-unit
//! is a tie. From 3 decimals on, the margin shrinks with the unit (1e-10 for thousandths,
//! 1e-11 for ten-thousandths…), keeping the ratio it has to a cent; otherwise, with 9 or more
//! decimals, every value would be within 1e-9 of some half-unit.

/// How far from a half-cent a value may be and still count as that half-cent.
const TIE_MARGIN: f64 = 1e-9;

/// `x` rounded to `digits` decimals, half away from zero, a value within the tie margin of a
/// half-unit counting as that half-unit; never returns `-0`. Negative `digits` round to tens,
/// hundreds…; `digits` is taken between -300 and 15.
pub(crate) fn round_half_away(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let digits = digits.clamp(-300, 15);
    // `10^|digits|` is exact up to 10^22: multiply or divide by it, never by its inverse.
    let power = 10f64.powi(digits.abs());
    let to_units = |v: f64| if digits >= 0 { v * power } else { v / power };
    let from_units = |u: f64| if digits >= 0 { u / power } else { u * power };
    let magnitude = x.abs();
    let units = to_units(magnitude);
    if units >= 2f64.powi(52) {
        // No fraction of a unit is left to round.
        return x;
    }
    // The half-unit nearest to `x` is `floor(units) + 0.5`; compare in the value's own terms,
    // where the margin is defined.
    let below = units.floor();
    let tie = from_units(below + 0.5);
    let margin = if digits <= 2 {
        TIE_MARGIN
    } else {
        TIE_MARGIN * 10f64.powi(2 - digits)
    };
    let rounded = if (magnitude - tie).abs() <= margin {
        from_units(below + 1.0)
    } else {
        from_units(units.round())
    };
    if rounded == 0.0 {
        0.0
    } else {
        rounded.copysign(x)
    }
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

    #[test]
    fn a_value_within_the_margin_of_a_half_cent_is_that_half_cent() {
        let x = (28.63 + 23.0) / 2.0;
        assert!(x < 25.815, "the double is below the half-cent: {x:?}");
        assert_eq!(round_half_away(x, 2), 25.82);
        assert_eq!(round_half_away(-x, 2), -25.82);
        assert_eq!(round_half_away(25.815 - 0.5e-9, 2), 25.82);
        assert_eq!(round_half_away(25.815 + 0.5e-9, 2), 25.82);
        // Beyond the margin, the value's side of the half-cent decides.
        assert_eq!(round_half_away(25.815 - 2e-9, 2), 25.81);
        assert_eq!(round_half_away(-(25.815 - 2e-9), 2), -25.81);
        assert_eq!(round_half_away(25.815 + 2e-9, 2), 25.82);
        assert_eq!(round_half_away(0.005 - 2e-9, 2), 0.0);
        assert_eq!(round_half_away(0.005 - 0.5e-9, 2), 0.01);
    }

    #[test]
    fn other_units_follow_the_same_rule() {
        assert_eq!(round_half_away(2.5 - 0.5e-9, 0), 3.0);
        assert_eq!(round_half_away(2.5 - 2e-9, 0), 2.0);
        assert_eq!(round_half_away(0.25 - 0.5e-9, 1), 0.3);
        assert_eq!(round_half_away(1.0005, 3), 1.001);
        assert_eq!(round_half_away(1.0005 - 0.5e-10, 3), 1.001);
        assert_eq!(round_half_away(1.0005 - 2e-10, 3), 1.0);
        assert_eq!(round_half_away(25.0 - 0.5e-9, -1), 30.0);
        assert_eq!(round_half_away(-25.0, -1), -30.0);
        assert_eq!(round_half_away(24.9, -1), 20.0);
        assert_eq!(round_half_away(1250.0, -2), 1300.0);
        // Many decimals: ties still round away, other values to their nearest.
        assert_eq!(round_half_away(0.123456789012, 10), 0.123456789);
        assert_eq!(round_half_away(0.12345678905, 10), 0.1234567891);
        assert_eq!(round_half_away(1e300, -2), 1e300);
        assert_eq!(round_half_away(123.456, -300), 0.0);
        let huge = 2f64.powi(53) + 2.0;
        assert_eq!(round_half_away(huge, 2), huge);
        assert_eq!(round_half_away(-huge, -1), -9_007_199_254_740_990.0);
    }
}
