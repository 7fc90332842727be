// expect: 3:24: invalid field name "nosuchfield"
import "pe"
rule a { condition: pe.nosuchfield == 1 }
