// expect: 3:53: expecting string identifier
rule b { condition: true }
rule a { strings: $a = "abc" condition: any of ($a, b) }
