// expect: 3:29: "is_pe" is not a function
import "pe"
rule a { condition: pe.is_pe() }
