# The seed chapter's linear-regression program (section 4.1), run with ember in place of torch.
# Three fixes, nothing else changed:
#   1. the seed never creates `model`: added `model = LinearRegression()`;
#   2. it feeds a shape-(5,) tensor to nn.Linear(1, 1): x and y are now column tensors of
#      shape (5, 1) (one feature per sample);
#   3. it never calls `optimizer.zero_grad()`: gradients piled up across steps; now cleared
#      before each backward pass.
import ember as torch
import ember.nn as nn
import ember.optim as optim

# 创建数据集
x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=torch.float32).view(-1, 1)    # fix 2
y = torch.tensor([2.0, 4.0, 6.0, 8.0, 10.0], dtype=torch.float32).view(-1, 1)   # fix 2


# 创建模型
class LinearRegression(nn.Module):
    def __init__(self):
        super(LinearRegression, self).__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


model = LinearRegression()                                                       # fix 1

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
print(f"weight: {model.linear.weight.item():.4f}  bias: {model.linear.bias.item():.4f}")
