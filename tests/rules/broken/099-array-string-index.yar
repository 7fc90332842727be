// expect: 3:33: array indexes must be of integer type
import "pe"
rule a { condition: pe.sections["a"].name == "x" }
