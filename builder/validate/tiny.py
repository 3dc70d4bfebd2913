"""A tiny, randomly initialised Idefics2 and its tokenizer, built offline in about a second.

It has the real architecture (SigLIP-style vision encoder, perceiver connector, Mistral
language model) at toy sizes, so every code path a real checkpoint takes is exercised:
image splitting, `<image>` expansion, image-token masking, the loss, gradients, generate.
Its outputs mean nothing; a real checkpoint (`--model DIR|HUB_ID`) makes them meaningful.
"""

from __future__ import annotations

from typing import Any

# Tokens Idefics2 uses; the processor adds the image ones, we add them up front so the
# tokenizer's vocabulary (and the model's embedding table) already holds them.
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>", "<fake_token_around_image>", "<image>",
                  "<end_of_utterance>"]
TINY_VOCAB_SIZE = 512
TINY_IMAGE_SEQ_LEN = 4  # perceiver latents = <image> tokens per image
TINY_IMAGE_SIZE = 64  # vision encoder's nominal resolution; images are resized to fit

# A short built-in text the byte-level BPE learns its merges from; any text still encodes
# (byte fallback), this only makes common English words shorter.
_TRAINING_TEXT = """
The quick brown fox jumps over the lazy dog. A photo of a cat sitting on a mat.
This is an article about the history of the city, its people and its buildings.
Images show the river, the bridge and the old town at night. Read more about travel,
food, science, sports, music and art. The results of the study were published in the
journal. In this recipe you will learn how to bake bread with flour, water and salt.
Click here to see the gallery. Posted by the editor on Monday. Share this page.
"""

# Idefics2's chat format: "User:...<end_of_utterance>\nAssistant: ...<end_of_utterance>\n".
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'text' %}{{ item['text'] }}{% elif item['type'] == 'image' %}{{ '<image>' }}"
    "{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def build_tiny_tokenizer() -> Any:
    """A byte-level BPE tokenizer trained on the spot, wrapped as a fast HF tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_TRAINING_TEXT] * 4, trainer=trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        padding_side="right",
        model_max_length=1 << 16,
    )


def build_tiny_processor(do_image_splitting: bool = False) -> Any:
    from transformers import Idefics2Processor
    from transformers.models.idefics2.image_processing_pil_idefics2 import Idefics2ImageProcessorPil

    image_processor = Idefics2ImageProcessorPil(
        size={"shortest_edge": TINY_IMAGE_SIZE // 2, "longest_edge": TINY_IMAGE_SIZE},
        do_image_splitting=do_image_splitting,
    )
    return Idefics2Processor(
        image_processor=image_processor,
        tokenizer=build_tiny_tokenizer(),
        image_seq_len=TINY_IMAGE_SEQ_LEN,
        chat_template=CHAT_TEMPLATE,
    )


def build_tiny_model(processor: Any, seed: int = 0) -> Any:
    """A ~100k-parameter Idefics2 whose vocabulary matches `processor`'s tokenizer."""
    import torch
    from transformers import Idefics2Config, Idefics2ForConditionalGeneration

    tokenizer = processor.tokenizer
    text_config = {
        "model_type": "mistral",
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "tie_word_embeddings": False,
    }
    config = Idefics2Config(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": TINY_IMAGE_SIZE,
            "patch_size": 8,
        },
        perceiver_config={
            "hidden_size": 32,  # must equal the text model's hidden size
            "resampler_n_latents": TINY_IMAGE_SEQ_LEN,
            "resampler_depth": 1,
            "resampler_n_heads": 4,
            "resampler_head_dim": 8,
            "num_key_value_heads": 2,  # must not exceed resampler_n_heads
        },
        text_config=text_config,
        image_token_id=processor.image_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Idefics2ForConditionalGeneration(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model
