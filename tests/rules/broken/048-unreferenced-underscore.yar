// expect: 2:19: unreferenced string "$_a"
rule a { strings: $_a = "abc" condition: true }
