# Hello.smali: a class with a static string field, an instance field, direct, native and
# abstract methods, for the dex module's differential test (tests/compat/modules_dex.sh).
.class public Lcom/example/Hello;
.super Ljava/lang/Object;
.source "Hello.java"

.field public static greeting:Ljava/lang/String; = "hi"
.field private count:I

.method public constructor <init>()V
    .registers 1
    invoke-direct {p0}, Ljava/lang/Object;-><init>()V
    return-void
.end method

.method public static main([Ljava/lang/String;)V
    .registers 2
    const-string v0, "Hello, dex"
    sget-object v1, Ljava/lang/System;->out:Ljava/io/PrintStream;
    invoke-virtual {v1, v0}, Ljava/io/PrintStream;->println(Ljava/lang/String;)V
    return-void
.end method

.method public native nativeThing(IJ)Z
.end method

.method public abstract virtualThing()V
.end method
