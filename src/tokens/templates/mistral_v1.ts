// Mistral 7B v0.1/v0.2 and Mixtral 8x7B v0.1 Instruct: the [INST] format of their Hugging Face template
// (`<s>[INST] user [/INST]assistant</s>`). The official v0.1 template raises on a system message and on
// non-alternating roles; this one merges a leading system message into the first user turn (as the later
// v0.2 revision does, separated by a blank line) and renders any other non-assistant turn (tool results, a
// second user message) as its own [INST] block, so a count never fails on a chat a server might accept.
export const MISTRAL_V1_TEMPLATE = String.raw`{%- if messages[0]['role'] == 'system' %}
    {%- set ns = namespace(system_message=messages[0]['content']) %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set ns = namespace(system_message='') %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message['role'] == 'assistant' %}
        {{- message['content'] + eos_token }}
    {%- elif ns.system_message %}
        {{- '[INST] ' + ns.system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- set ns.system_message = '' %}
    {%- else %}
        {{- '[INST] ' + message['content'] + ' [/INST]' }}
    {%- endif %}
{%- endfor %}
{%- if ns.system_message %}
    {{- '[INST] ' + ns.system_message + ' [/INST]' }}
{%- endif %}
`;
