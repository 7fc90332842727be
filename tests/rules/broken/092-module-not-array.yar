// expect: 3:29: "is_pe" is not an array or dictionary
import "pe"
rule a { condition: pe.is_pe[0] == 1 }
