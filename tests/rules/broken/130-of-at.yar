// expect: 2:53: unexpected at
rule a { strings: $a = "abc" condition: any of them at 0 }
