import pytest

from apiclient import ApiClient, load_kubeconfig


@pytest.fixture
def client(master):
    """An API client of the module's master (each controller test module starts its own master)."""
    api_client = ApiClient(load_kubeconfig(master.kubeconfig))
    yield api_client
    api_client.close()
