// expect: 2:49: undefined string "$b*"
rule a { strings: $a = "abc" condition: any of ($b*) }
