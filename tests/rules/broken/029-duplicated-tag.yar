// expect: 2:13: duplicated tag identifier "t1"
rule a : t1 t1 { condition: true }
