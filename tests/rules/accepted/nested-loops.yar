rule a { condition: for any i in (1..2) : (for any j in (1..2) : (for any k in (1..2) : (for any l in (1..2) : (i + j + k + l == 4)))) }
