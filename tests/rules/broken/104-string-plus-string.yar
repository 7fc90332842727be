// expect: 2:31: strings don't support "+" operation
rule a { condition: "a" + "b" == "ab" }
