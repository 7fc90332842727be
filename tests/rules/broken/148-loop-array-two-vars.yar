// expect: 3:37: iterator for "sections" yields a single item on each iteration, but the loop expects 2
import "pe"
rule a { condition: for any k, v in pe.sections : (k.name == "x") }
