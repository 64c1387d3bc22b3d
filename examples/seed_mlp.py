# The seed chapter's multi-layer perceptron program (section 4.2), run with ember in place of torch.
# Three fixes, nothing else changed:
#   1. the seed never creates `model`: added `model = MLP()`;
#   2. the shape bug of the linear-regression program (a shape-(5,) tensor fed to nn.Linear(1, 1))
#      does not occur here: x and y are already (5, 2), so nothing needed changing for it;
#   3. it never calls `optimizer.zero_grad()`: gradients piled up across steps; now cleared
#      before each backward pass.
import ember as torch
import ember.nn as nn
import ember.optim as optim

# 创建数据集
x = torch.tensor([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0], [5.0, 6.0]], dtype=torch.float32)
y = torch.tensor([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0], [5.0, 6.0]], dtype=torch.float32)


# 创建模型
class MLP(nn.Module):
    def __init__(self):
        super(MLP, self).__init__()
        self.fc1 = nn.Linear(2, 5)
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = self.fc2(x)
        return x


model = MLP()                                                                    # fix 1

# 创建损失函数和优化器
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

# 训练模型
for epoch in range(1000):
    optimizer.zero_grad()                                                        # fix 3
    # 前向传播
    y_pred = model(x)
    # 计算损失
    loss = criterion(y_pred, y)
    # 反向传播
    loss.backward()
    # 更新参数
    optimizer.step()

print(f"final loss: {loss.item():.6f}")
for name, p in model.named_parameters():
    print(name, p.detach())
