/**
 * A small Jinja interpreter for Hugging Face chat templates ({@link io.vecinfer.chat.jinja.Template}).
 * Our own rather than Jinjava: Jinjava 2.7.4 rendered none of the Llama 3.1, Mistral v0.3, Qwen2.5 and
 * Qwen3 fixture conversations as Jinja2 does (stray newlines and indentation where trim_blocks,
 * lstrip_blocks and {@code -} markers remove them; {@code messages[::-1]} a syntax error;
 * {@code namespace(a=1)} failing), and it brings jackson 2.14, snakeyaml 1.33,
 * guava and javassist onto a classpath that has jackson 2.21 and Spark 4's own.
 */
package io.vecinfer.chat.jinja;
