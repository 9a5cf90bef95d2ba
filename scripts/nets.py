"""Network definitions, training and ONNX export shared by train_models.py and make_testdata.py.

Every network takes [N,1,28,28] float32 images in [0,1] and normalises them itself, so that a
user of the exported ONNX file needs no preprocessing beyond scaling bytes by 1/255.
"""
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class Normalize(nn.Module):
    """(x - mean) / std inside the model: exported as Sub and Div by constants."""

    def forward(self, x):
        return (x - MNIST_MEAN) / MNIST_STD


# ---- the embedded models (models/) -------------------------------------------------------------

class MLPSiLU(nn.Module):
    """784-256-128-10 with SiLU."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = self.norm(x).flatten(1)
        return self.fc3(F.silu(self.fc2(F.silu(self.fc1(x)))))


class CNNGELU(nn.Module):
    """Two Conv+BatchNorm+GELU+MaxPool stages and a GELU classifier head."""

    def __init__(self, c1=16, c2=32, hidden=64):
        super().__init__()
        self.norm = Normalize()
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2)
        self.fc1, self.fc2 = nn.Linear(c2 * 49, hidden), nn.Linear(hidden, 10)

    def forward(self, x):
        x = F.max_pool2d(F.gelu(self.bn1(self.conv1(self.norm(x)))), 2)
        x = F.max_pool2d(F.gelu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.gelu(self.fc1(x.flatten(1))))


class SqueezeExcite(nn.Module):
    """GlobalAveragePool -> 1x1 conv -> act -> 1x1 conv -> gate -> Mul (EfficientNet / MobileNetV3)."""

    def __init__(self, c, r, act=nn.SiLU, gate=nn.Sigmoid):
        super().__init__()
        self.reduce, self.expand = nn.Conv2d(c, r, 1), nn.Conv2d(r, c, 1)
        self.act, self.gate = act(), gate()

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.expand(self.act(self.reduce(s))))


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise 3x3, SE, 1x1 project; residual when shapes match."""

    def __init__(self, cin, cout, expand, stride, act=nn.SiLU, gate=nn.Sigmoid, se_ratio=0.25):
        super().__init__()
        mid = cin * expand
        self.expand = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), act()) if expand != 1 else nn.Identity()
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), act())
        self.se = SqueezeExcite(mid, max(4, int(cin * se_ratio)), act, gate)
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.se(self.dw(self.expand(x))))
        return x + y if self.residual else y


class EffNetSE(nn.Module):
    """A small EfficientNet-like net: SiLU everywhere, squeeze-excitation in every block."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.SiLU())
        self.blocks = nn.Sequential(
            MBConv(16, 16, 1, 1),
            MBConv(16, 24, 4, 2),   # 14x14
            MBConv(24, 24, 4, 1),
            MBConv(24, 40, 4, 2),   # 7x7
            MBConv(40, 40, 4, 1),
        )
        self.head = nn.Sequential(nn.Conv2d(40, 128, 1, bias=False), nn.BatchNorm2d(128), nn.SiLU())
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(self.norm(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


# ---- the test models (testdata/) ---------------------------------------------------------------

class TinyMLP(nn.Module):
    """784-64-32-10 ReLU; flattens with view(size(0), -1), a shape sub-graph in dynamic exports."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 64), nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = self.norm(x)
        x = x.view(x.size(0), -1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class CNNBNPool(nn.Module):
    """Conv+BN+ReLU, MaxPool (ceil_mode), AvgPool with padding counted and not counted, BN after pooling."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.bn_pooled = nn.BatchNorm2d(16)   # after a pool: cannot be folded into a conv
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(self.norm(x))))                                  # 28
        x = F.max_pool2d(x, 3, stride=2, ceil_mode=True)                                # 14 (ceil)
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=True)             # 7
        x = self.bn_pooled(x)
        x = F.relu(self.conv3(x))
        x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)            # 4
        return self.fc(torch.flatten(x, 1))


class ResBlock(nn.Module):
    def __init__(self, c, approximate="none"):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.approximate = approximate

    def forward(self, x):
        y = F.gelu(self.b1(self.c1(x)), approximate=self.approximate)
        return F.gelu(x + self.b2(self.c2(y)), approximate=self.approximate)


class ResNetGELU(nn.Module):
    """Residual CNN with GELU (erf form, and the tanh form in the second stage)."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.stem = nn.Conv2d(1, 12, 3, stride=2, padding=1)          # 14
        self.block1 = ResBlock(12)
        self.down = nn.Conv2d(12, 24, 3, stride=2, padding=1)          # 7
        self.block2 = ResBlock(24, approximate="tanh")
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = F.gelu(self.stem(self.norm(x)))
        x = self.block2(F.gelu(self.down(self.block1(x))))
        return self.fc(x.mean(dim=(2, 3)))


class DWSepSE(nn.Module):
    """Depthwise-separable convs with SiLU and squeeze-excitation (EfficientNet-like, no expansion)."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.SiLU())  # 14
        self.b1 = MBConv(16, 24, 1, 2)   # 7
        self.b2 = MBConv(24, 24, 2, 1)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.b2(self.b1(self.stem(self.norm(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class MobileNetV3ish(nn.Module):
    """MobileNetV3-like: HardSwish activations, Hardsigmoid-gated SE, ReLU inside SE."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())  # 14
        self.b1 = MBConv(16, 24, 3, 2, act=nn.Hardswish, gate=nn.Hardsigmoid)   # 7
        self.b2 = MBConv(24, 24, 3, 1, act=nn.Hardswish, gate=nn.Hardsigmoid)
        self.head = nn.Sequential(nn.Conv2d(24, 64, 1), nn.Hardswish())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.head(self.b2(self.b1(self.stem(self.norm(x)))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class MLPMixedAct(nn.Module):
    """An MLP with Tanh, ELU, LayerNorm, LeakyReLU, Softplus and Mish."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.fc1, self.fc2 = nn.Linear(784, 64), nn.Linear(64, 64)
        self.ln = nn.LayerNorm(64)
        self.fc3, self.fc4, self.fc5 = nn.Linear(64, 48), nn.Linear(48, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = torch.tanh(self.fc1(self.norm(x).flatten(1)))
        x = self.ln(F.elu(self.fc2(x)))
        x = F.leaky_relu(self.fc3(x), 0.1)
        x = F.softplus(self.fc4(x))
        return self.fc5(F.mish(x))


class UNetish(nn.Module):
    """A small U-Net-like regressor (random weights): MaxPool down, ConvTranspose and Resize up
    (nearest and bilinear), skip connections by Concat; output [N,1,28,28]."""

    def __init__(self):
        super().__init__()
        self.norm = Normalize()
        self.e1 = nn.Conv2d(1, 8, 3, padding=1)
        self.e2 = nn.Conv2d(8, 16, 3, padding=1)
        self.mid = nn.Conv2d(16, 16, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(16, 16, 2, stride=2)                  # 7 -> 14
        self.d1 = nn.Conv2d(32, 8, 3, padding=1)
        self.d2 = nn.Conv2d(16, 8, 3, padding=1)
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        x = self.norm(x)
        s1 = F.silu(self.e1(x))                                             # 28
        s2 = F.relu(self.e2(F.max_pool2d(s1, 2)))                           # 14
        m = F.relu(self.mid(F.max_pool2d(s2, 2)))                           # 7
        u1 = self.up1(m) + F.interpolate(m, scale_factor=2.0, mode="nearest")   # 14
        y = F.relu(self.d1(torch.cat([u1, s2], 1)))
        y = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)  # 28
        y = torch.tanh(self.d2(torch.cat([y, s1], 1)))
        return torch.sigmoid(self.out(y))


# ---- training, evaluation, export --------------------------------------------------------------

def to_float(images):
    """uint8 [N,28,28] -> float32 tensor [N,1,28,28] in [0,1]."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def augment(x, gen, shift=2):
    """Random translation by up to `shift` pixels (zero fill), one offset per batch row."""
    n = x.shape[0]
    pad = F.pad(x, (shift, shift, shift, shift))
    dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = pad[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


def train(model, train_x, train_y, epochs, seed, lr=2e-3, batch=64, shift=2, log=print):
    """Adam with a one-cycle schedule and random shifts; deterministic for a given seed."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, y = to_float(train_x), torch.from_numpy(train_y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for ep in range(epochs):
        model.train()
        t0, total = time.time(), 0.0
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            xb = augment(x[idx], gen, shift) if shift else x[idx]
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        log(f"  epoch {ep + 1}/{epochs} loss {total / len(x):.4f} ({time.time() - t0:.1f}s)")
    model.eval()
    return model


@torch.no_grad()
def predict(model, images, batch=500):
    """Logits of the model in eval mode for uint8 images."""
    model.eval()
    x = to_float(images)
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)]).numpy()


def export(model, path, opset, dynamic, batch, preserve_bn=False):
    """torch.onnx.export with input "input" [N,1,28,28] and output "output".

    preserve_bn keeps BatchNormalization nodes (TrainingMode.PRESERVE skips PyTorch's own
    Conv+BN fusion) so the importer's folding is exercised; otherwise PyTorch folds them."""
    model.eval()
    dummy = torch.zeros(batch, 1, 28, 28)
    kw = dict(opset_version=opset, input_names=["input"], output_names=["output"],
              do_constant_folding=True)
    if dynamic:
        kw["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    if preserve_bn:
        kw["training"] = torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(model, dummy, path, **kw)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(array))
    os.chmod(path, 0o644)
