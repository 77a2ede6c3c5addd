// Llama 3.1 Instruct's prompt format, for the `llama3.1` preset. The preset's package ships Llama 3's
// tokenizer_config.json, whose template has no system block; Llama 3.1 Instruct's own template
// always opens with one that states the knowledge cut-off and a date ("Cutting Knowledge Date:
// December 2023", "Today Date: 26 Jul 2024" unless `date_string` is given), 25 tokens that a
// Llama-3.1-Instruct server adds to every prompt. This template is written for longweave and
// renders that format for conversations of system, user and assistant messages (byte for byte what
// Meta's template renders for them); tools are refused, since longweave never sends any.

/** Jinja source of the `llama3.1` preset's chat template. */
export const LLAMA_3_1_CHAT_TEMPLATE = [
  '{%- if tools is defined and tools is not none or builtin_tools is defined or custom_tools is defined -%}',
  "{{- raise_exception('longweave renders Llama 3.1 conversations without tools only') -}}",
  '{%- endif -%}',
  '{%- if date_string is not defined -%}{%- set date_string = "26 Jul 2024" -%}{%- endif -%}',
  '{{- bos_token -}}',
  '{{- "<|start_header_id|>system<|end_header_id|>\\n\\nCutting Knowledge Date: December 2023\\nToday Date: " + date_string + "\\n\\n" -}}',
  "{%- if messages[0]['role'] == 'system' -%}{{- messages[0]['content'] | trim -}}{%- endif -%}",
  '{{- "<|eot_id|>" -}}',
  '{%- for message in messages -%}',
  "{%- if not (loop.first and message['role'] == 'system') -%}",
  "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' -}}",
  '{%- endif -%}',
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}{%- endif -%}",
].join('\n');
