// expect: 3:49: wrong usage of identifier "s"
import "pe"
rule a { condition: for any s in pe.sections : (s) }
