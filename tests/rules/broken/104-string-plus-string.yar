// expect: 2:25: strings don't support "+" operation
rule a { condition: "a" + "b" == "ab" }
