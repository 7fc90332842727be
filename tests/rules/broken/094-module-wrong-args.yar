// expect: 3:31: wrong arguments for function "imports"
import "pe"
rule a { condition: pe.imports("a", 1, 2) }
