// expect: 3:34: identifier "number_of_sections" is not iterable
import "pe"
rule a { condition: for any k in pe.number_of_sections : (k == 1) }
