// expect: 3:37: dictionary keys must be of string type
import "pe"
rule a { condition: pe.version_info[1] == "x" }
