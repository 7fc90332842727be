// expect: 2:19: expecting string identifier
rule a { strings: $a* = "abc" condition: any of them }
