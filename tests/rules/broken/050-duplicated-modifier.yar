// expect: 2:35: duplicated modifier
rule a { strings: $a = "abc" wide wide condition: $a }
