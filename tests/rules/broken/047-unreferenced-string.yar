// expect: 2:30: unreferenced string "$b"
rule a { strings: $a = "abc" $b = "def" condition: $a }
