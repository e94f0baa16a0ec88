"""Side-by-side check: PyTorch itself, on this machine, against the reference Network3d gradients.

Runs the reference DQN step of ../../shared/reference/network_parity (Network3d, 1 agent, the seed-0 weights, the
uint8 input batch, actions 2/5, rewards 0.7/-1.5, discount 0.9) with torch.nn.functional in float32 and float64, and
prints how far conv0's and prelu0's gradients are from the reference. On the development machine (Intel Xeon,
Debian PyTorch 1.13, 26 Nov 2026) PyTorch's own float32 gradients differ from the reference (computed on an AMD
EPYC) by 2.0% (conv0 gradient sum) and 1.6% (first 8 elements): one max-pool window of this input has two values
1.8e-8 apart, so which one gets the gradient depends on the convolution's summation order. The engine's channels-
last kernels route it as the reference did and land within 2e-3 (DqnLearnerParityTest).

    /usr/bin/python3 benchmarks/python/pytorch_gradient_parity.py [threads]
"""
import json, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
ref = json.load(open('/work/shared/reference/network_parity/network_parity.json'))['network3d_1agent']
sd = torch.load('/work/shared/reference/network_parity/network3d_1agent_seed0_zip.pt')
x = np.fromfile('/work/shared/reference/network_parity/network3d_1agent_input_u8.bin', dtype=np.uint8).reshape(2, 1, 4, 45, 45, 45)
s = torch.from_numpy(x.astype(np.float32))
p = {k: v.clone().requires_grad_(True) for k, v in sd.items()}

def net(inp, p, dtype=torch.float32):
    b, a = inp.shape[:2]
    t = inp.reshape(b * a, 4, 45, 45, 45).to(dtype) / 255.0
    P = {k: v.to(dtype) for k, v in p.items()}
    t = F.max_pool3d(F.prelu(F.conv3d(t, P['conv0.weight'], P['conv0.bias'], padding=1), P['prelu0.weight']), 2)
    t = F.max_pool3d(F.prelu(F.conv3d(t, P['conv1.weight'], P['conv1.bias'], padding=1), P['prelu1.weight']), 2)
    t = F.max_pool3d(F.prelu(F.conv3d(t, P['conv2.weight'], P['conv2.bias'], padding=1), P['prelu2.weight']), 2)
    t = F.prelu(F.conv3d(t, P['conv3.weight'], P['conv3.bias']), P['prelu3.weight']).reshape(b * a, -1)
    t = F.prelu(F.linear(t, P['fc1.0.weight'], P['fc1.0.bias']), P['prelu4.0.weight'])
    t = F.prelu(F.linear(t, P['fc2.0.weight'], P['fc2.0.bias']), P['prelu5.0.weight'])
    return F.linear(t, P['fc3.0.weight'], P['fc3.0.bias']).reshape(b, a, 6)

for dtype in (torch.float32, torch.float64):
    for k in p:
        p[k].grad = None
    with torch.no_grad():
        qn = net(s.flip(0), p, dtype)
    r = torch.tensor([[0.7], [-1.5]], dtype=dtype).clamp(-1, 1)
    done = torch.tensor([[0.0], [1.0]], dtype=dtype)
    y = r + (1 - done) * 0.9 * qn.max(2).values
    q = net(s, p, dtype)
    chosen = q.gather(2, torch.tensor([[[2]], [[5]]])).reshape(2, 1)
    loss = F.smooth_l1_loss(y.flatten(), chosen.flatten())
    loss.backward()
    g = p['conv0.weight'].grad.flatten().double()
    d = ref['dqn_step']
    print(dtype, 'loss', loss.item(), 'ref', d['loss'])
    print('  sum', g.sum().item(), 'ref', d['grad_conv0_weight_sum'], 'rel', abs(g.sum().item() / d['grad_conv0_weight_sum'] - 1))
    print('  abs', g.abs().sum().item(), 'ref', d['grad_conv0_weight_abs_sum'])
    f8 = np.array(d['grad_conv0_weight_first8'])
    print('  first8 max rel', np.max(np.abs(g[:8].numpy() / f8 - 1)))
    print('  prelu0', p['prelu0.weight'].grad.item(), 'ref', d['grad_prelu0_weight'][0],
          'rel', abs(p['prelu0.weight'].grad.item() / d['grad_prelu0_weight'][0] - 1))
