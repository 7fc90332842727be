// expect: 3:21: wrong usage of identifier "sections"
import "pe"
rule a { condition: pe.sections[0] == 1 }
