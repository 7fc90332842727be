rule a { condition: ((((((((((1)))))))))) == 1 and (((true))) }
