import "math"
// c }
rule a { strings: $s = "}" $h = { 41 [1-2] 42 } condition: $s or $h }
/* } */
rule b { condition: a and math.entropy(0,1) >= 0 }
private rule c { condition: b }
global rule d { condition: c or true }
import "pe"
rule e { condition: pe.number_of_sections >= 0 and d }
