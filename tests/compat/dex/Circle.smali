# Circle.smali: a final class implementing Shape, with long (two-byte length) and non-ASCII
# string constants, a try/catch, and methods of several access flags, for modules_dex.sh.
.class public final Lcom/example/Circle;
.super Ljava/lang/Object;
.implements Lcom/example/Shape;

.field private final r:D
.field public static final PI_TEXT:Ljava/lang/String; = "pi is about 3.14159, and this string is deliberately longer than one hundred and twenty-eight characters so that its length prefix takes two bytes"
.field public static unicode:Ljava/lang/String; = "\u00e9t\u00e9 \u2603 snow"
.field static counter:I
.field volatile flag:Z

.method public constructor <init>(D)V
    .registers 3
    invoke-direct {p0}, Ljava/lang/Object;-><init>()V
    iput-wide p1, p0, Lcom/example/Circle;->r:D
    return-void
.end method

.method public area()D
    .registers 5
    :try_start
    iget-wide v0, p0, Lcom/example/Circle;->r:D
    mul-double v2, v0, v0
    :try_end
    .catch Ljava/lang/Exception; {:try_start .. :try_end} :handler
    return-wide v2
    :handler
    const-wide/16 v0, 0
    return-wide v0
.end method

.method private static helper(ILjava/lang/String;[J)Ljava/lang/Object;
    .registers 4
    const/4 v0, 0
    return-object v0
.end method

.method synchronized bridge varargs toString()Ljava/lang/String;
    .registers 2
    const-string v0, "circle"
    return-object v0
.end method
