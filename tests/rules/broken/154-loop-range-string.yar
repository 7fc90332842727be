// expect: 2:38: wrong type for range's upper bound
rule a { condition: for any i in (1.."a") : (i == 1) }
