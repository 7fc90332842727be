// expect: 2:113: loop nesting limit exceeded
rule a { condition: for any i in (1..3) : (for any j in (1..3) : (for any k in (1..3) : (for any l in (1..3) : (for any m in (1..3) : (i+j+k+l+m == 5))))) }
