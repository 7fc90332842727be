// Constant expressions at the edge of yara 4.2.3's overflow checks, all accepted by yarac.
rule max_plus_zero { condition: 0x7FFFFFFFFFFFFFFF + 0 > 0 }
rule min_by_subtraction { condition: -9223372036854775807 - 1 < 0 }
rule negate_min { condition: -(-9223372036854775807 - 1) < 0 }
rule min_minus_minus_one { condition: -1 - (-9223372036854775807 - 1) > 0 }
rule min_times_minus_one { condition: (-9223372036854775807 - 1) * -1 < 0 }
rule largest_square { condition: 3037000499 * 3037000499 > 0 }
rule times_zero { condition: 0x7FFFFFFFFFFFFFFF * 0 == 0 }
rule shift_to_sign { condition: 1 << 63 < 0 }
rule shift_past_width { condition: (filesize << 64) + 0x7FFFFFFFFFFFFFFF > 0 }
rule overflow_not_folded { condition: filesize + 0x7FFFFFFFFFFFFFFF + 1 != 0 }
rule float_mixed { condition: 0x7FFFFFFFFFFFFFFF + 1.0 > 0 }
// -1483400188077313 is yara's YR_UNDEFINED: yara does not fold it, so it checks nothing (at
// scan time yara also takes it as undefined, vitrine as a number: compile-only cases)
rule undefined_sentinel { condition: -1483400188077313 * 0x7FFFFFFFFFFFFFFF != 0 }
rule undefined_divisor { condition: 1 \ (-1483400188077313 + 1483400188077313) != 1 }
// yara folds >> as << (1 >> 1 folds to 2), so this is no division by zero for yara
rule shr_folds_as_shl { condition: 1 \ (1 >> 1) != 7 }
