// expect: 3:21: wrong usage of identifier "is_dll"
import "pe"
rule a { condition: pe.is_dll }
