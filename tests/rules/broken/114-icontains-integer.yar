// expect: 2:25: wrong type "integer" for icontains operator
rule a { condition: "a" icontains 2 }
