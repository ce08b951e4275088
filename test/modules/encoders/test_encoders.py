# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest
import torch

from multimodal_fusion.models.testing import TINY_SPEC
from multimodal_fusion.modules.encoders import AudioEncoder
from multimodal_fusion.modules.encoders import CameraEncoder
from multimodal_fusion.modules.encoders import FeatureNormaliser
from multimodal_fusion.modules.encoders import ModalityEmbedding
from multimodal_fusion.modules.encoders import SmallCnnBackbone
from multimodal_fusion.modules.encoders import TextEncoder
from multimodal_fusion.modules.encoders import TextTokenEncoder
from multimodal_fusion.modules.encoders import TimeSeriesEncoder
from multimodal_fusion.modules.encoders.time_series import window_trend

D = 16


def _uint8_images(b, h, w):
    return torch.randint(0, 256, (b, 3, h, w), dtype=torch.uint8)


def test_small_cnn_is_stride_8():
    backbone = SmallCnnBackbone(width=4)
    out = backbone(_uint8_images(2, 128, 128).float())
    assert out.shape == (2, 16, 16, 16)
    assert backbone.out_channels == 16


@pytest.mark.parametrize('hw, side', [((128, 128), 4), ((32, 48), 2)])
def test_camera_encoder_gives_pooled_tokens_and_spatial_map(hw, side):
    encoder = CameraEncoder(backbone=SmallCnnBackbone(width=4), dim=D, pooled_side=side)
    tokens, spatial = encoder(_uint8_images(3, *hw))
    assert tokens.shape == (3, side * side, D)
    assert spatial.shape == (3, D, hw[0] // 8, hw[1] // 8)
    scripted = torch.jit.script(encoder)
    x = _uint8_images(1, *hw)
    torch.testing.assert_close(scripted(x)[0], encoder(x)[0])


def test_audio_encoder_shapes_and_fit():
    encoder = AudioEncoder(spec=TINY_SPEC.audio, dim=D, num_tokens=3)
    audio = 0.1 * torch.randn(4, TINY_SPEC.audio.window_samples)
    assert encoder(audio).shape == (4, 3, D)
    encoder.fit(audio)
    mels = encoder.normaliser(encoder.log_mel_features(audio))
    torch.testing.assert_close(mels.mean(dim=(0, 1)), torch.zeros(TINY_SPEC.audio.n_mels),
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(torch.jit.script(encoder)(audio), encoder(audio))


def test_text_encoder_shapes():
    encoder = TextEncoder(embedding_dim=384, dim=D, num_tokens=2)
    assert encoder(torch.randn(5, 384)).shape == (5, 2, D)
    torch.jit.script(encoder)


def test_text_token_encoder_reads_only_the_utterances_tokens():
    torch.manual_seed(0)
    encoder = TextTokenEncoder(embedding_dim=16, dim=D, num_tokens=3, num_heads=2).eval()
    states = torch.randn(4, 6, 16)
    states[:, 4:] = 0.0  # four tokens, then padding
    out = encoder(states)
    assert out.shape == (4, 6, D) and torch.isfinite(out).all()
    # More padding changes nothing, and neither does a scripted copy.
    longer = torch.cat([states, torch.zeros(4, 5, 16)], dim=1)
    torch.testing.assert_close(encoder(longer), out)
    torch.testing.assert_close(torch.jit.script(encoder)(states), out)
    # Two sentences whose states have one mean: the same sentence tokens (the pooled
    # vector is all TextEncoder reads), other word tokens.
    averaged = states.clone()
    averaged[:, :4] = states[:, :4].mean(dim=1, keepdim=True)
    other = encoder(averaged)
    torch.testing.assert_close(other[:, :3], out[:, :3])
    assert (other[:, 3:] - out[:, 3:]).abs().max() > 1e-3
    # No text at all (every row zero) stays finite.
    assert torch.isfinite(encoder(torch.zeros(2, 6, 16))).all()


def test_word_dropout_zeroes_the_word_tokens_of_about_its_share_in_training_only():
    encoder = TextTokenEncoder(embedding_dim=16, dim=D, num_tokens=2, num_heads=2,
                               word_dropout=0.5)
    states = torch.randn(400, 5, 16)
    states[:, 3:] = 0.0
    no_words = encoder.embedding(torch.zeros(1, 4, D))[:, 2:]
    encoder.train()
    torch.manual_seed(0)
    out = encoder(states)
    dropped = ((out[:, 2:] - no_words).abs().amax(dim=(1, 2)) < 1e-6)
    assert 0.4 < dropped.float().mean().item() < 0.6
    # The sentence tokens are never dropped; in eval nothing is, scripted or not.
    assert ((out[:, :2] - encoder.embedding(torch.zeros(1, 4, D))[:, :2]).abs().amax(
        dim=(1, 2)) > 1e-3).all()
    encoder.eval()
    eager = encoder(states)
    assert ((eager[:, 2:] - no_words).abs().amax(dim=(1, 2)) > 1e-6).all()
    torch.testing.assert_close(torch.jit.script(encoder)(states), eager)
    with pytest.raises(ValueError, match='word_dropout'):
        TextTokenEncoder(embedding_dim=16, dim=D, word_dropout=1.0)


@pytest.mark.parametrize('features, steps', [(12, 100), (44, 20), (3, 1)])
def test_time_series_encoder_shapes(features, steps):
    encoder = TimeSeriesEncoder(features=features, dim=D, num_tokens=4)
    assert encoder(torch.randn(2, steps, features)).shape == (2, 4, D)


def test_window_trend_reads_level_slope_roughness_and_change():
    steps = 101
    t = torch.linspace(-1.0, 1.0, steps)
    line = 2.0 + 3.0 * t  # level 2, slope 3
    wiggle = torch.where(torch.arange(steps) % 2 == 0, 1.0, -1.0)
    x = torch.stack([line, torch.full((steps,), 5.0), wiggle], dim=1).unsqueeze(0)
    mean, slope, residual, change = window_trend(x).view(4, 3)
    torch.testing.assert_close(mean, torch.tensor([2.0, 5.0, 1.0 / steps]), atol=1e-4, rtol=0)
    torch.testing.assert_close(slope[:2], torch.tensor([3.0, 0.0]), atol=1e-4, rtol=0)
    assert abs(float(slope[2])) < 0.05
    torch.testing.assert_close(residual[:2], torch.zeros(2), atol=1e-4, rtol=0)
    assert 0.95 < float(residual[2]) < 1.05
    # The last quarter's mean minus the first's: 3 * (0.75 - -0.75) for the line.
    assert abs(float(change[0]) - 4.5) < 0.1 and abs(float(change[1])) < 1e-5


def test_time_series_encoder_sees_a_slow_trend_under_noise():
    """A load falling by 1 N across the window under 0.4 N noise changes the tokens.

    The trend path makes the tokens depend on the falling level even where each step of
    it is far below the noise (the convolutions' receptive field sees noise only).
    """
    torch.manual_seed(0)
    encoder = TimeSeriesEncoder(features=1, dim=D, num_tokens=4).eval()
    noise = 0.4 * torch.randn(1, 100, 1)
    falling = torch.linspace(0.0, -1.0, 100).view(1, 100, 1)
    with torch.no_grad():
        flat, fall = encoder(noise), encoder(noise + falling)
        only_trend = encoder.trend(window_trend(encoder.normaliser(noise + falling)))
        no_trend = encoder.trend(window_trend(encoder.normaliser(noise)))
    assert not torch.allclose(flat, fall)
    assert not torch.allclose(only_trend, no_trend)


def test_modality_embedding_differs_per_modality():
    a, b = ModalityEmbedding(num_tokens=2, dim=D), ModalityEmbedding(num_tokens=2, dim=D)
    x = torch.randn(1, 2, D)
    assert not torch.allclose(a(x), b(x))


def test_normaliser_defaults_to_identity_and_fits_statistics():
    norm = FeatureNormaliser(features=3)
    x = torch.randn(4, 5, 3) * torch.tensor([1.0, 10.0, 100.0]) + torch.tensor([5.0, -3.0, 0.0])
    torch.testing.assert_close(norm(x), x)
    norm.fit(x.numpy())
    y = norm(x).reshape(-1, 3)
    torch.testing.assert_close(y.mean(0), torch.zeros(3), atol=1e-4, rtol=0)
    torch.testing.assert_close(y.std(0, unbiased=False), torch.ones(3), atol=1e-4, rtol=0)
    state = FeatureNormaliser(features=3)
    state.load_state_dict(norm.state_dict())  # statistics are saved with the model
    torch.testing.assert_close(state(x), norm(x))


def test_normaliser_floors_constant_features_and_computes_in_float32():
    norm = FeatureNormaliser(features=2, min_std=0.5)
    norm.fit(np.ones((10, 2)))
    assert norm.std.tolist() == [0.5, 0.5]
    assert norm(torch.ones(1, 2, dtype=torch.float16)).dtype == torch.float32


@pytest.mark.parametrize('make, match', [
    (lambda: FeatureNormaliser(features=0), 'features'),
    (lambda: SmallCnnBackbone(width=0), 'width'),
    (lambda: TimeSeriesEncoder(features=3, dim=D, num_tokens=0), 'num_tokens'),
    (lambda: TextEncoder(embedding_dim=384, dim=D, num_tokens=0), 'num_tokens'),
    (lambda: CameraEncoder(backbone=SmallCnnBackbone(width=2), dim=D, pooled_side=0),
     'pooled_side'),
])
def test_bad_construction_raises(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_normaliser_fit_checks_shape():
    with pytest.raises(ValueError, match='fit needs'):
        FeatureNormaliser(features=3).fit(np.zeros((4, 2)))
