console.log('soak todo')
